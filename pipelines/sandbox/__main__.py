from pipelines.sandbox.serve import main

main()
