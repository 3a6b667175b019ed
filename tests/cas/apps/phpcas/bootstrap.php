<?php
// phpCAS set up as a college app would do it; settings.php (written by the test harness)
// gives the issuer and this app's own base URL. phpCAS builds https:// URLs from a host
// name, so the ENT's login, validate and logout URLs are given in full.
require_once 'CAS.php';
$settings = require __DIR__ . '/settings.php';

function start_phpcas(array $settings, string $session_name): void
{
    session_name($session_name);
    $issuer = parse_url($settings['issuer']);
    phpCAS::setVerbose(true);
    phpCAS::client(CAS_VERSION_3_0, $issuer['host'], $issuer['port'] ?? 80, '/cas', $settings['base_url']);
    phpCAS::setServerLoginURL($settings['issuer'] . '/cas/login?service=' . urlencode(phpCAS::getServiceURL()));
    phpCAS::setServerServiceValidateURL($settings['issuer'] . '/cas/p3/serviceValidate');
    phpCAS::setServerLogoutURL($settings['issuer'] . '/cas/logout');
    phpCAS::setNoCasServerValidation();
    phpCAS::handleLogoutRequests(false);
}

function show_user(bool $authenticated): void
{
    header('Content-Type: text/plain; charset=utf-8'); // shown as is by browsers (no JSON viewer)
    header('Cache-Control: no-store');
    echo json_encode([
        'user' => $authenticated ? phpCAS::getUser() : null,
        'attributes' => $authenticated ? phpCAS::getAttributes() : new stdClass(),
    ], JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
}
