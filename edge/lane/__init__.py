"""Lane devices (kind ``lane``): presence of residents' tags and untagged vehicles in watched zones."""
