#!/bin/sh
# OpenLDAP 2.5 for ent-idp. On first start (empty config volume), turn the
# environment into cn=config and, on the provider, load the base entries.
# On later starts the volumes already hold everything: just run slapd.
set -eu

LDAP_BASE_DN="${LDAP_BASE_DN:-dc=ent77,dc=fr}"
LDAP_ROLE="${LDAP_ROLE:-provider}"
LDAP_PROVIDER_URL="${LDAP_PROVIDER_URL:-ldap://ldap-provider:389}"

CONF_DIR=/etc/ldap/slapd.d
DATA_DIR=/var/lib/ldap
SCHEMA_DIR=/etc/ldap/schema
RUN_DIR=/run/slapd
# OWASP minimum for Argon2: 19 MiB of memory, 2 passes, 1 lane.
ARGON2="argon2 m=19456 t=2 p=1"

die() { echo "entrypoint: $*" >&2; exit 1; }

hash_password() {
    slappasswd -n -o module-path=/usr/lib/ldap -o module-load="$ARGON2" \
        -h '{ARGON2}' -s "$1"
}

# slapd.conf is only an input: slaptest turns it into cn=config below.
slapd_conf() {
    cat <<EOF
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
moduleload $ARGON2
EOF
    [ "$LDAP_ROLE" = provider ] && echo "moduleload syncprov"
    cat <<EOF

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

# Root DSE and schema stay readable for health checks and clients.
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
# A consumer must be able to copy the whole tree in one search.
limits dn.exact="cn=replicator,$LDAP_BASE_DN" size=unlimited time=unlimited
# As in ldap_schema/slapd.conf (ent-idp binds as the rootdn, above ACLs),
# plus read access for the replicator.
access to attrs=userPassword
    by dn.exact="cn=replicator,$LDAP_BASE_DN" read
    by self =w
    by anonymous auth
    by * none
access to *
    by dn.exact="cn=replicator,$LDAP_BASE_DN" read
    by self read
    by * none
EOF
    if [ "$LDAP_ROLE" = consumer ]; then
        cat <<EOF
syncrepl rid=001
    provider=$LDAP_PROVIDER_URL
    type=refreshAndPersist
    retry="5 10 60 +"
    searchbase="$LDAP_BASE_DN"
    bindmethod=simple
    binddn="cn=replicator,$LDAP_BASE_DN"
    credentials="$LDAP_REPLICATION_PASSWORD"
# The replica is read-only: clients that write are sent to the provider.
updateref $LDAP_PROVIDER_URL

EOF
    else
        cat <<EOF
overlay syncprov
syncprov-checkpoint 100 10
syncprov-sessionlog 1000

EOF
    fi
    # Also on the consumer: binds there must honour lockouts and Argon2.
    cat <<EOF
overlay ppolicy
ppolicy_default "cn=default,ou=policies,$LDAP_BASE_DN"
ppolicy_hash_cleartext
ppolicy_use_lockout
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

dn: ou=people,$LDAP_BASE_DN
objectClass: top
objectClass: organizationalUnit
ou: people
description: One entry per account (parents, teachers, pupils, staff)

dn: ou=policies,$LDAP_BASE_DN
objectClass: top
objectClass: organizationalUnit
ou: policies
description: Password policies (ppolicy)

# 5 wrong secrets in a row lock the account for 15 minutes (ent-idp's own
# accounts.lockout_* defaults); password quality is checked by ent-idp.
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

dn: cn=replicator,$LDAP_BASE_DN
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: replicator
description: Bind identity of the syncrepl consumers (read-only)
userPassword: $REPLICATOR_HASH
EOF
}

initialise() {
    : "${LDAP_ADMIN_PASSWORD:?LDAP_ADMIN_PASSWORD is required}"
    : "${LDAP_REPLICATION_PASSWORD:?LDAP_REPLICATION_PASSWORD is required}"
    case "$LDAP_ROLE" in provider|consumer) ;; *) die "LDAP_ROLE must be provider or consumer";; esac
    case "$LDAP_BASE_DN" in dc=*) ;; *) die "LDAP_BASE_DN must start with dc= (e.g. dc=ent77,dc=fr)";; esac
    # The consumer keeps this password between double quotes in its config.
    case "$LDAP_REPLICATION_PASSWORD" in *'"'*|*'\'*) die "LDAP_REPLICATION_PASSWORD must not contain \" or \\";; esac
    [ -e "$DATA_DIR/data.mdb" ] && die "$DATA_DIR holds a database but $CONF_DIR is empty: restore the config volume, or empty both volumes"

    echo "entrypoint: first start, building cn=config for a $LDAP_ROLE of $LDAP_BASE_DN"
    ADMIN_HASH="$(hash_password "$LDAP_ADMIN_PASSWORD")"
    REPLICATOR_HASH="$(hash_password "$LDAP_REPLICATION_PASSWORD")"
    work="$(mktemp -d)"
    slapd_conf > "$work/slapd.conf"
    mkdir "$work/slapd.d"
    # -n 0: open only cn=config, the data database does not exist yet.
    slaptest -Q -n 0 -f "$work/slapd.conf" -F "$work/slapd.d"
    if [ "$LDAP_ROLE" = provider ]; then
        # -w stores the contextCSN so that consumers start from this state.
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
