// Content scanning of quick deploys, before anything is uploaded to a shared platform account: every
// file a browser could run or render is read the way a browser would (charset by BOM/declaration,
// markup by the standard HTML tokenizer, entities decoded, string concatenations joined, base64
// payloads decoded) and checked against scan-rules.json: miners, blocklisted hosts, eval of decoded
// strings, password forms or scripts that send to another site, scripted SVG, meta refresh to
// data:/javascript:. A hit refuses the deployment, naming the rule and the file.
export { maxMatchLength, SCAN_VERSION, SCAN_WINDOW, type ScanRule, windowStarts } from './rules';
export { normalizeHost } from './hosts';
export { readings } from './readings';
export { readingOf } from './kinds';
export { normalizeScript } from './normalize-script';
export type { ScanHit } from './hits';
export { scanBytes, scanStream, scanText } from './file-scan';
export { rememberSitePassed, scanSite, sitePassed, type ScanStore } from './site-scan';
