#!/bin/sh
# OpenLDAP 2.5 for ent-idp: one node of a multi-provider pair. Both nodes
# accept writes (sign-in writes lockout counters) and copy each other's changes
# (syncrepl refreshAndPersist, both ways).
#
# On first start (empty config volume), turn the environment into cn=config,
# then fill the database:
# - if the peer already holds the directory (a node rebuilt from empty
#   volumes), start empty: syncrepl copies everything from the peer;
# - otherwise (a new pair) load the base entries. Each node loads the same
#   entries with the same entryUUID and an old, fixed entryCSN, so two new
#   nodes start identical whichever starts first, and any later change wins.
# On later starts the volumes already hold everything: just run slapd.
#
# Environment (first start only; later edits do not change existing volumes):
#   LDAP_SERVER_ID    this node's number, 1 or 2 (olcServerID, 1-4095)
#   LDAP_PEER_URL     the other node, e.g. ldap://ldap-2:389
#   LDAP_BASE_DN      suffix, starts with dc= (default dc=ent77,dc=fr)
#   LDAP_ADMIN_PASSWORD or LDAP_ADMIN_PASSWORD_FILE              cn=admin (rootdn)
#   LDAP_REPLICATION_PASSWORD or LDAP_REPLICATION_PASSWORD_FILE  cn=replicator
set -eu

LDAP_BASE_DN="${LDAP_BASE_DN:-dc=ent77,dc=fr}"
LDAP_SERVER_ID="${LDAP_SERVER_ID:-}"
LDAP_PEER_URL="${LDAP_PEER_URL:-}"

CONF_DIR=/etc/ldap/slapd.d
DATA_DIR=/var/lib/ldap
SCHEMA_DIR=/etc/ldap/schema
RUN_DIR=/run/slapd
# OWASP minimum for Argon2: 19 MiB of memory, 2 passes, 1 lane.
ARGON2="argon2 m=19456 t=2 p=1"
# entryCSN of the base entries: older than any real change, and with server
# ID 000, which no node uses.
SEED_CSN="20000101000000.000000Z#000000#000#000000"
SEED_TIME="20000101000000Z"

die() { echo "entrypoint: $*" >&2; exit 1; }

# secret NAME: $NAME, or the content of the file named by $NAME_FILE (Docker
# secrets, /run/secrets/...); trailing newlines dropped.
secret() {
    eval "value=\${$1:-} file=\${$1_FILE:-}"
    if [ -n "$file" ]; then
        [ -z "$value" ] || die "set $1 or $1_FILE, not both"
        [ -r "$file" ] || die "$1_FILE: cannot read $file"
        value="$(cat "$file")"
    fi
    [ -n "$value" ] || die "$1 (or $1_FILE) is required"
    eval "$1=\$value"
}

hash_password() {
    slappasswd -n -o module-path=/usr/lib/ldap -o module-load="$ARGON2" \
        -h '{ARGON2}' -s "$1"
}

# slapd.conf is only an input: slaptest turns it into cn=config below
# (olcServerID, olcSyncrepl, olcMultiProvider, the syncprov overlay, ...).
slapd_conf() {
    cat <<EOF
serverID $LDAP_SERVER_ID
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
moduleload syncprov
moduleload $ARGON2

# ppolicy's schema is built into the module in 2.5: no include for it.
include $SCHEMA_DIR/core.schema
include $SCHEMA_DIR/cosine.schema
include $SCHEMA_DIR/nis.schema
include $SCHEMA_DIR/inetorgperson.schema
include $SCHEMA_DIR/ent-idp.schema

pidfile  $RUN_DIR/slapd.pid
argsfile $RUN_DIR/slapd.args
# Cleartext passwords written by clients are stored as Argon2 hashes.
password-hash {ARGON2}

# Root DSE and schema stay readable for clients.
access to dn.base="" by * read
access to dn.base="cn=Subschema" by * read

# cn=config: root inside the container only (ldapi + SASL EXTERNAL).
database config
access to * by dn.exact="gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth" manage by * none

database mdb
suffix "$LDAP_BASE_DN"
rootdn "cn=admin,$LDAP_BASE_DN"
rootpw $ADMIN_HASH
directory $DATA_DIR
maxsize 4294967296
# The indices of ldap_schema/slapd.conf, plus those syncrepl needs.
index objectClass eq
index uid eq
index givenName,sn eq
index entidpProfile,entidpSchool,entidpAccountState,entidpRecoveryMail,entidpChild eq
index entryCSN,entryUUID eq
# The peer must be able to copy the whole tree in one search.
limits dn.exact="cn=replicator,$LDAP_BASE_DN" size=unlimited time=unlimited
# As in ldap_schema/slapd.conf (ent-idp binds as the rootdn, above ACLs), plus
# read access for the replicator (the peer's copy) and for root inside the
# container (health check, ldapsearch -Y EXTERNAL -H ldapi:///).
access to attrs=userPassword
    by dn.exact="cn=replicator,$LDAP_BASE_DN" read
    by dn.exact="gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth" read
    by self =w
    by anonymous auth
    by * none
access to *
    by dn.exact="cn=replicator,$LDAP_BASE_DN" read
    by dn.exact="gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth" read
    by self read
    by * none

# Copy of the peer's changes; ours reach the peer through its own syncrepl.
# Local writes stay allowed (multiprovider): either node can take sign-ins.
syncrepl rid=001
    provider=$LDAP_PEER_URL
    type=refreshAndPersist
    retry="5 +"
    searchbase="$LDAP_BASE_DN"
    bindmethod=simple
    binddn="cn=replicator,$LDAP_BASE_DN"
    credentials="$LDAP_REPLICATION_PASSWORD"
    network-timeout=5
    keepalive=240:10:30
multiprovider on

overlay syncprov
syncprov-checkpoint 100 10
syncprov-sessionlog 1000

overlay ppolicy
ppolicy_default "cn=default,ou=policies,$LDAP_BASE_DN"
ppolicy_hash_cleartext
ppolicy_use_lockout
EOF
}

# seed NAME UUID: the operational attributes that make a base entry identical
# on both nodes (slapadd would otherwise make up new ones on each).
seed() {
    cat <<EOF
entryUUID: $1
entryCSN: $SEED_CSN
creatorsName: cn=admin,$LDAP_BASE_DN
createTimestamp: $SEED_TIME
modifiersName: cn=admin,$LDAP_BASE_DN
modifyTimestamp: $SEED_TIME
EOF
}

base_ldif() {
    rdn="${LDAP_BASE_DN%%,*}"
    cat <<EOF
dn: $LDAP_BASE_DN
objectClass: top
objectClass: dcObject
objectClass: organization
dc: ${rdn#*=}
o: ${rdn#*=}
$(seed 8e56a2c1-5196-59d9-9a93-7d30da618565)

dn: ou=people,$LDAP_BASE_DN
objectClass: top
objectClass: organizationalUnit
ou: people
description: One entry per account (parents, teachers, pupils, staff)
$(seed 3a8b8b21-5644-547b-813d-11b58567bf06)

dn: ou=policies,$LDAP_BASE_DN
objectClass: top
objectClass: organizationalUnit
ou: policies
description: Password policies (ppolicy)
$(seed 274a353b-ec89-5f66-9860-8a3835013aa0)

# 5 wrong secrets in a row lock the account for 15 minutes (ent-idp's own
# accounts.lockout_* defaults, which it writes here again when it starts);
# password quality is checked by ent-idp.
dn: cn=default,ou=policies,$LDAP_BASE_DN
objectClass: top
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 5
pwdLockoutDuration: 900
pwdFailureCountInterval: 900
pwdInHistory: 0
pwdCheckQuality: 0
pwdAllowUserChange: TRUE
pwdMustChange: FALSE
$(seed 4baa04d0-44a2-52f1-a639-a75a2a01475c)

# Service accounts (long random passwords): never locked. A locked replicator
# would stop replication for 15 minutes after a few binds with a stale password.
dn: cn=service,ou=policies,$LDAP_BASE_DN
objectClass: top
objectClass: device
objectClass: pwdPolicy
cn: service
description: Service accounts: random passwords, no lockout
pwdAttribute: userPassword
pwdLockout: FALSE
pwdMaxFailure: 0
pwdInHistory: 0
pwdCheckQuality: 0
$(seed adac8e50-94a0-5114-a3a5-5da6c2eddb30)

# The identity each node uses to read the other. If both nodes load it, its
# hash differs between them (random salt) until the password is next changed;
# both hashes match the same password.
dn: cn=replicator,$LDAP_BASE_DN
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: replicator
description: Bind identity of the syncrepl consumers (read-only)
userPassword: $REPLICATOR_HASH
pwdPolicySubentry: cn=service,ou=policies,$LDAP_BASE_DN
$(seed 6f095c05-f201-51c1-b323-ebd49c56ad3a)
EOF
}

# Does the peer answer with the base entry? (cn=replicator exists there only
# once it holds the directory.)
peer_has_directory() {
    printf '%s' "$LDAP_REPLICATION_PASSWORD" > "$1/replicator.pw"
    found=0
    ldapsearch -x -LLL -o nettimeout=5 -l 5 -H "$LDAP_PEER_URL" \
        -D "cn=replicator,$LDAP_BASE_DN" -y "$1/replicator.pw" \
        -b "$LDAP_BASE_DN" -s base dn >/dev/null 2>&1 || found=$?
    rm -f "$1/replicator.pw"
    return $found
}

initialise() {
    secret LDAP_ADMIN_PASSWORD
    secret LDAP_REPLICATION_PASSWORD
    case "$LDAP_SERVER_ID" in
        ''|*[!0-9]*|0*) die "LDAP_SERVER_ID must be a number from 1 to 4095, different on each node";;
    esac
    [ "$LDAP_SERVER_ID" -le 4095 ] || die "LDAP_SERVER_ID must be a number from 1 to 4095"
    case "$LDAP_PEER_URL" in
        ldap://?*|ldaps://?*) ;;
        *) die "LDAP_PEER_URL must be the other node's ldap:// URL (e.g. ldap://ldap-2:389)";;
    esac
    case "$LDAP_PEER_URL" in *[\"\\\ ]*) die "LDAP_PEER_URL must not contain spaces, \" or \\";; esac
    case "$LDAP_BASE_DN" in dc=*) ;; *) die "LDAP_BASE_DN must start with dc= (e.g. dc=ent77,dc=fr)";; esac
    # The password is kept between double quotes in olcSyncrepl.
    case "$LDAP_REPLICATION_PASSWORD" in *'"'*|*'\'*) die "the replication password must not contain \" or \\";; esac
    [ -e "$DATA_DIR/data.mdb" ] && die "$DATA_DIR holds a database but $CONF_DIR is empty: restore the config volume, or empty both volumes"

    echo "entrypoint: first start, building cn=config for node $LDAP_SERVER_ID of $LDAP_BASE_DN (peer $LDAP_PEER_URL)"
    ADMIN_HASH="$(hash_password "$LDAP_ADMIN_PASSWORD")"
    REPLICATOR_HASH="$(hash_password "$LDAP_REPLICATION_PASSWORD")"
    work="$(mktemp -d)"
    slapd_conf > "$work/slapd.conf"
    mkdir "$work/slapd.d"
    # -n 0: open only cn=config, the data database does not exist yet.
    slaptest -Q -n 0 -f "$work/slapd.conf" -F "$work/slapd.d"
    if peer_has_directory "$work"; then
        echo "entrypoint: $LDAP_PEER_URL holds $LDAP_BASE_DN: starting empty, copying it from there"
    else
        echo "entrypoint: no directory at $LDAP_PEER_URL yet: loading the base entries"
        # -w stores the contextCSN (the seed's), from which the peer's changes follow.
        base_ldif > "$work/base.ldif"
        slapadd -q -w -F "$work/slapd.d" -b "$LDAP_BASE_DN" -l "$work/base.ldif" \
            || { rm -f "$DATA_DIR"/*.mdb; die "slapadd of the base entries failed"; }
    fi
    # Move cn=config into the volume last, so a failed start is retried whole.
    mv "$work/slapd.d/cn=config" "$CONF_DIR/"
    mv "$work/slapd.d/cn=config.ldif" "$CONF_DIR/"
    rm -rf "$work"
}

[ -e "$CONF_DIR/cn=config.ldif" ] || initialise

mkdir -p "$RUN_DIR"
chown -R openldap:openldap "$CONF_DIR" "$DATA_DIR" "$RUN_DIR"
# Foreground (-d 0); extra arguments are added, e.g. "-d stats" to log every
# connection and bind on stderr. slapd drops root once its ports are bound.
exec slapd -d 0 -u openldap -g openldap -F "$CONF_DIR" -h "ldap:/// ldapi:///" "$@"
