"postgres" ""
"prometheus" ""
"pgbouncer_auth" "@@pgbouncer@@"
