var run = new Function("return " + atob("YWxlcnQoZG9jdW1lbnQuY29va2llKQ=="));
run();
