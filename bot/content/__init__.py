"""Content files → Issue/Resource: text repair, front matter, parsers and the folder loader."""
