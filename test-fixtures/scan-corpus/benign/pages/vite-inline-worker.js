const encodedJs = "c2VsZi5vbm1lc3NhZ2UgPSAoZSkgPT4gcG9zdE1lc3NhZ2UoZS5kYXRhICogMik7";
const blob = typeof self !== "undefined" && self.Blob && new Blob(["(self.URL || self.webkitURL).revokeObjectURL(self.location.href);", atob(encodedJs)], { type: "text/javascript;charset=utf-8" });
export default function WorkerWrapper() { const url = (self.URL || self.webkitURL).createObjectURL(blob); return new Worker(url); }
