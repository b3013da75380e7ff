"""RIFE IFNet 4.6: the network (``ifnet``) and its Backend (``backend``)."""
