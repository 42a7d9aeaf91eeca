"""Built-in kehu plugins, each a folder of the same shape."""
