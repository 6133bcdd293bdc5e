var s = document.createElement('script');
s.text = atob('YWxlcnQoZG9jdW1lbnQuY29va2llKQ==');
document.head.appendChild(s);
