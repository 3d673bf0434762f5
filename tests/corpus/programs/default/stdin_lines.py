# The program itself arrives on stdin; it checks basic interpreter behaviour.
import os, sys
print(sys.version_info[:2] >= (3, 11), os.getcwd())
print(sorted({"b": 1, "a": 2}.items()))
