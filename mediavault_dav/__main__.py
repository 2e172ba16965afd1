from mediavault_dav.cli import main

main()
