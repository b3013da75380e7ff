from setuptools import find_packages, setup

setup(
    name="vsafi",
    version="0.1.0",
    description="VapourSynth anime frame interpolation: plain, forward-dedup and DRBA modes over RIFE and GMFSS",
    packages=find_packages(include=["vsafi", "vsafi.*"]),
    python_requires=">=3.12",
    install_requires=[
        "numpy",
        "torch",
        "vapoursynth>=81",
        "vapoursynth-bestsource",
        "imageio-ffmpeg",
    ],
    extras_require={"test": ["pytest", "matplotlib"], "plot": ["matplotlib"]},
    entry_points={"console_scripts": ["vsafi=vsafi.cli:main"]},
)
