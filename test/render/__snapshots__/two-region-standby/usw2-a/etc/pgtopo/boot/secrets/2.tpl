"postgres" ""
"pgbouncer_auth" "@@pgbouncer@@"
