"""Patient accounts (issue 17): the ledger, balances from the billing system, payment plans,
A/R aging and statements. One module per job; import the module that defines a name."""
