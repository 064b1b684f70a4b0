"""Reference implementation of Nova's VMware image cache aging (see issue: refimpl)."""
