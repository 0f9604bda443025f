module w3bgoapplet

go 1.26
