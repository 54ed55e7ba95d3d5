"""The store: tables, engine and connection rules, migrations, backups.

Import the submodules you need (`crmtui.store.migrate.open_store`); this package module
stays empty so that importing `crmtui.store` costs nothing.
"""
