"""The panels the demos share: function input, h selector, method toggles, domain, precision."""
