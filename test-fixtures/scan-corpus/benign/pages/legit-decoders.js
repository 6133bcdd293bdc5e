export function readJwt(t){return JSON.parse(decodeURIComponent(atob(t.split(".")[1].replace(/-/g,"+").replace(/_/g,"/")).split("").map(function(c){return"%"+("00"+c.charCodeAt(0).toString(16)).slice(-2)}).join("")))}
export function letter(i){return String.fromCharCode(65+i)}
export function later(fn){setTimeout(function(){fn(decodeURIComponent(location.hash.slice(1)))},0)}
export const globalObject=(function(){return this})()||Function("return this")();
export const viaIndirect=(0,eval)("this");
