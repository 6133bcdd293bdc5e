const ws = new WebSocket('wss://chat.example.com/socket');
ws.onmessage = (e) => render(JSON.parse(e.data));
export async function send(text) { await fetch('https://api.example.com/messages', { method: 'POST', body: JSON.stringify({ text }) }); }
function render(m) { document.querySelector('#log').append(m.text); }
