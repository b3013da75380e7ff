from setuptools import find_packages, setup

setup(
    name="vsafi",
    version="0.1.0",
    description="VapourSynth anime frame interpolation: plain, forward-dedup, DRBA and drop modes over RIFE and GMFSS",
    packages=find_packages(include=["vsafi", "vsafi.*"]),
    python_requires=">=3.12",
    install_requires=[
        "numpy>=1.26",
        "torch>=2.5",
        "vapoursynth>=81",
        "vapoursynth-bestsource",
        "imageio-ffmpeg",
    ],
    extras_require={
        "test": ["pytest", "matplotlib"],
        "plot": ["matplotlib"],
        # Scale-out over workers and machines (vsafi --workers / --ray).
        "cluster": ["ray>=2.40"],
        # vspreview 0.20 fails to import with vsjetpack 2 (`vs_object` moved out of vstools).
        "preview": ["vspreview", "vsjetpack<2"],
    },
    entry_points={"console_scripts": ["vsafi=vsafi.cli:main"]},
)
