"""An offline Hugging Face Hub: generated model repositories served over the Hub's HTTP API."""
