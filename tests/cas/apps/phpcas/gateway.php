<?php
// A public page that asks the ENT, without showing its login page, whether someone is signed in (gateway).
require __DIR__ . '/bootstrap.php';
start_phpcas($settings, 'PHPCAS_GATEWAY');
show_user(phpCAS::checkAuthentication());
