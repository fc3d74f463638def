// tests placeholder
