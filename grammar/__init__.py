"""The .flow grammar, shipped as package data of the compiler (flowc.grammar)."""
