"""The `coordinator` subcommands, one module per area. Each module has
`register(subparsers, common_parent)`; `cli.COMMAND_MODULES` lists them."""
