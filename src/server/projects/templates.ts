// Starter sites a person can begin from. Small, valid, and each showing what the deploy must keep
// working: plain pages, binary images, and client-side routing.
import { deflateSync } from 'node:zlib';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export const TEMPLATES = {
  landing: 'A landing page',
  portfolio: 'A portfolio with images',
  spa: 'A client-routed single-page app',
} as const;
export type TemplateId = keyof typeof TEMPLATES;

const css = `:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { max-width: 40rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.6; }
a { color: #4f46e5; }
`;

/** An 8×8 PNG of one color, so the portfolio has real image bytes without shipping files. */
function swatch(r: number, g: number, b: number): Buffer {
  const width = 8;
  const raw = Buffer.alloc((width * 3 + 1) * width);
  for (let y = 0; y < width; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) raw.set([r, g, b], y * (width * 3 + 1) + 1 + x * 3);
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crcOf(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(width, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

let table: Uint32Array | undefined;
function crcOf(buf: Buffer): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (const byte of buf) c = table[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function templateFiles(id: TemplateId, name: string): Record<string, Buffer> {
  const title = name.replace(/[<>&"]/g, '');
  const page = (body: string, extra = '') =>
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${title}</title>\n<link rel="stylesheet" href="/styles.css">${extra}\n</head>\n<body>\n${body}\n</body>\n</html>\n`;
  switch (id) {
    case 'landing':
      return {
        'index.html': Buffer.from(page(`<h1>${title}</h1>\n<p>Welcome! Edit this page and deploy it in one click.</p>\n<p><a href="/about">About us</a></p>`)),
        'about.html': Buffer.from(page(`<h1>About</h1>\n<p>We make websites.</p>\n<p><a href="/">Home</a></p>`)),
        'styles.css': Buffer.from(css),
      };
    case 'portfolio':
      return {
        'index.html': Buffer.from(
          page(
            `<h1>${title}</h1>\n<p>Selected work.</p>\n<div class="grid">\n<img src="/images/work-1.png" alt="Work one">\n<img src="/images/work-2.png" alt="Work two">\n</div>`,
          ),
        ),
        'styles.css': Buffer.from(
          `${css}.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }\n.grid img { width: 100%; image-rendering: pixelated; }\n`,
        ),
        'images/work-1.png': swatch(79, 70, 229),
        'images/work-2.png': swatch(16, 185, 129),
      };
    case 'spa':
      return {
        'index.html': Buffer.from(
          page(
            `<nav><a href="/" data-link>Home</a> · <a href="/pricing" data-link>Pricing</a></nav>\n<main id="app"></main>`,
            '\n<script type="module" src="/app.js"></script>',
          ),
        ),
        'app.js': Buffer.from(`// A tiny client-side router: every path is rendered here, so the host must answer unknown paths with index.html.
const routes = { '/': '<h1>${title}</h1><p>Home of a single-page app.</p>', '/pricing': '<h1>Pricing</h1><p>Free while in beta.</p>' };
// In the editor's preview the site lives under a <base>; deployed, it is at the root.
const base = document.querySelector('base') ? new URL(document.baseURI).pathname : '/';
function render() {
  const path = '/' + location.pathname.slice(base.length);
  document.getElementById('app').innerHTML = routes[path] ?? '<h1>Not found</h1>';
}
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-link]');
  if (!a) return;
  e.preventDefault();
  history.pushState({}, '', a.href);
  render();
});
window.addEventListener('popstate', render);
render();
`),
        'styles.css': Buffer.from(css),
      };
  }
}
