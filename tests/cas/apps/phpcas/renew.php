<?php
// A sensitive page: the ENT must ask for the password again, even within a session (renew).
require __DIR__ . '/bootstrap.php';
start_phpcas($settings, 'PHPCAS_RENEW');
phpCAS::renewAuthentication();
show_user(true);
