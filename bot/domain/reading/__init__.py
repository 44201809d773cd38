"""Reading what people write: report grammar, numbers in words, unit names, named periods."""
