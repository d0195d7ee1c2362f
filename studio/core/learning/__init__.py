"""Learning: the trainer, what each step reads, how a run reports and is written, augmentation, fine-tuning, experiments."""
