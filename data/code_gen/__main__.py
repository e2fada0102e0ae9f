"""`python -m data.code_gen --out DIR --train N --test M --seed S`: see `data.code_gen.generate`."""

import sys

from data.code_gen.generate import main

sys.exit(main())
