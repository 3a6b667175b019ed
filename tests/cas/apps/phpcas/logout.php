<?php
// Signing out of the app and of the ENT, back to the app's home afterwards.
require __DIR__ . '/bootstrap.php';
start_phpcas($settings, 'PHPCAS_APP');
phpCAS::logoutWithRedirectService($settings['base_url'] . '/index.php');
