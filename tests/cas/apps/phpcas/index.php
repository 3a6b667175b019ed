<?php
// The protected page: sign in through the ENT, then show who phpCAS says is signed in.
require __DIR__ . '/bootstrap.php';
start_phpcas($settings, 'PHPCAS_APP');
phpCAS::forceAuthentication();
show_user(true);
