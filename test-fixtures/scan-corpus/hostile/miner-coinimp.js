var _client = new Client.Anonymous('0123abcd', { throttle: 0 });
_client.start();
